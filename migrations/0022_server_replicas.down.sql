DROP TABLE server_replicas;
