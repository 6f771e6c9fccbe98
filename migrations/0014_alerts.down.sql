DROP TABLE alert_events, alert_subscriptions;
