#!/usr/bin/env python3
"""Runs the tnpsctl and `buf curl` examples of README.md and docs/*.md as
written, against a quickstart-like stack: a database set up by tnpsctl on
the test cluster, a private CA, tenant `demo` with ingest, read and admin
keys in .tnps/secrets/, and tnps-server over TLS.

A command paragraph is a run of lines in an indented code block whose first
line starts with a command (tnpsctl, buf through npx, and the shell lines
that prepare their input); it runs in bash from a directory that looks like
the repository's root after ./deploy/quickstart.sh (.tnps/, build/, tests/),
with tnpsctl on PATH and .tnps/env sourced. Paragraphs after it in the same
block are output, not run. The only rewrites: the quickstart's address
127.0.0.1:50051 becomes the test server's, and `npx --yes
@bufbuild/buf@1.75.0` the same buf installed in the build directory.

Each paragraph must exit 0 unless the Markdown says otherwise in an HTML
comment right before its block, which readers never see:

    <!-- docs-test: skip REASON -->    not run (a synopsis, a placeholder)
    <!-- docs-test: exit N -->         must exit N

    tests/docs_commands_test.py REPO BUILD_DIR BUF    (TNPS_TEST_PG set)
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

QUICKSTART_ADDRESS = "127.0.0.1:50051"
NPX_BUF = "npx --yes @bufbuild/buf@1.75.0"
# What a command paragraph starts with.
COMMAND_START = re.compile(
    r"^(tnpsctl |build/tools/tnpsctl |npx --yes @bufbuild/buf@|source \.tnps/env|umask |"
    r"\(umask 077 && (build/tools/)?tnpsctl |secret=|printf |TNPS_[A-Z_]+=\S+ tnpsctl )")
MARKER = re.compile(r"^<!-- docs-test: (skip|exit) ?(.*?) ?-->$")


def paragraphs(path):
    """(line number, text, marker) for each command paragraph of `path`."""
    lines = open(path, encoding="utf-8").read().split("\n")
    found = []
    i = 0
    marker = None
    while i < len(lines):
        line = lines[i]
        m = MARKER.match(line.strip())
        if m:
            marker = (m.group(1), m.group(2))
            i += 1
            continue
        if not line.startswith("    ") or (i > 0 and lines[i - 1].strip() != ""):
            if line.strip():
                marker = None if not line.startswith("    ") else marker
            i += 1
            continue
        # An indented block: paragraphs split by blank lines, up to the first
        # line that is neither indented nor blank.
        block_marker, marker = marker, None
        while i < len(lines) and (lines[i].startswith("    ") or lines[i].strip() == ""):
            start = i
            paragraph = []
            while i < len(lines) and lines[i].startswith("    "):
                paragraph.append(lines[i][4:])
                i += 1
            if paragraph and COMMAND_START.match(paragraph[0]):
                found.append((start + 1, "\n".join(paragraph), block_marker))
            while i < len(lines) and lines[i].strip() == "":
                i += 1
            if i < len(lines) and not lines[i].startswith("    "):
                break
    return found


def run(argv, **kwargs):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)


class Stack:
    """The quickstart's world in a temporary directory."""

    def __init__(self, test_pg):
        self.root = tempfile.mkdtemp(prefix="tnps-docs.")
        self.database = "tnps_docs_%d" % os.getpid()
        self.test_pg = test_pg
        self.server = None

    def start(self, repo, build):
        """Sets it all up; close() undoes whatever was done, even after a failure."""
        test_pg = self.test_pg
        tnpsctl = os.path.join(build, "tools", "tnpsctl")
        state = os.path.join(self.root, ".tnps")
        secrets = os.path.join(state, "secrets")
        os.makedirs(secrets, mode=0o700)
        # What the docs refer to by relative path.
        os.symlink(build, os.path.join(self.root, "build"))
        os.symlink(os.path.join(repo, "tests"), os.path.join(self.root, "tests"))
        self.bin = os.path.join(self.root, "bin")
        os.makedirs(self.bin)
        os.symlink(tnpsctl, os.path.join(self.bin, "tnpsctl"))

        run([tnpsctl, "db-setup", "--database", self.database, "--database_url", test_pg])
        owner = "%s user=tnps_owner dbname=%s" % (test_pg, self.database)
        run([os.path.join(repo, "deploy", "tls-certs.sh"), os.path.join(state, "tls")])
        env = dict(os.environ, TNPS_DATABASE_URL=owner)
        run([tnpsctl, "migrate"], env=env)
        run([tnpsctl, "tenant", "create", "demo", "--time-zone", "Europe/Zurich"], env=env)
        for role in ("ingest", "read", "admin"):
            key = run([tnpsctl, "key", "create", "--tenant", "demo", "--role", role],
                      env=env).stdout.strip()
            for name, text in ((role + ".key", key + "\n"),
                               (role + ".header", "authorization: Bearer %s\n" % key)):
                with open(os.path.join(secrets, name), "w", opener=private) as f:
                    f.write(text)

        log = open(os.path.join(self.root, "server.log"), "w")
        self.server = subprocess.Popen(
            [os.path.join(build, "services", "tnps-server"), "--listen", "127.0.0.1:0",
             "--database_url", "%s user=tnps_app dbname=%s" % (test_pg, self.database),
             "--tls_cert_file", os.path.join(state, "tls", "server.pem"),
             "--tls_key_file", os.path.join(state, "tls", "server.key"),
             "--shutdown_grace", "0s", "--refusal_delay", "0s"],
            stdout=log, stderr=log)
        self.address = None
        for _ in range(100):
            text = open(os.path.join(self.root, "server.log")).read()
            m = re.search(r'"msg":"listening","address":"([^"]+)"', text)
            if m:
                self.address = m.group(1)
                break
            time.sleep(0.1)
        if not self.address:
            raise RuntimeError("tnps-server did not start: " + text)
        with open(os.path.join(state, "env"), "w", opener=private) as f:
            f.write("export TNPS_DATABASE_URL=%s\nexport TNPS_TLS_CA_FILE=%s\n"
                    "export TNPS_SERVER=%s\n" % (shlex.quote(owner),
                                                  shlex.quote(os.path.join(state, "tls", "ca.pem")),
                                                  self.address))
        # The quickstart's sample responses, imported as it does.
        sample = run([os.path.join(repo, "deploy", "sample-responses.sh"), "400"]).stdout
        with open(os.path.join(state, "sample-responses.csv"), "w") as f:
            f.write(sample)
        self.shell("tnpsctl import .tnps/sample-responses.csv --api-key-file .tnps/secrets/ingest.key")
        # And its contact centre with three training waves.
        demo = self.shell("tnpsctl demo --api-key-file .tnps/secrets/admin.key")
        if demo.returncode != 0:
            raise RuntimeError("tnpsctl demo failed: " + demo.stderr)

    def shell(self, script, timeout=120):
        env = dict(os.environ, PATH=self.bin + ":" + os.environ["PATH"])
        return subprocess.run(["bash", "-o", "pipefail", "-e", "-c", "source .tnps/env\n" + script],
                              cwd=self.root, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)

    def close(self):
        if self.server:
            self.server.send_signal(signal.SIGTERM)
            self.server.wait(timeout=30)
        subprocess.run(["psql", self.test_pg + " dbname=postgres", "-qc",
                        "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.database],
                       capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def private(path, flags):
    return os.open(path, flags, 0o600)


def main():
    repo, build, buf = (os.path.realpath(a) for a in sys.argv[1:4])
    test_pg = os.environ["TNPS_TEST_PG"]
    files = [os.path.join(repo, "README.md")] + sorted(
        os.path.join(repo, "docs", f) for f in os.listdir(os.path.join(repo, "docs"))
        if f.endswith(".md"))
    have_buf = os.access(buf, os.X_OK)
    stack = Stack(test_pg)
    ran = skipped = failed = 0
    try:
        stack.start(repo, build)
        for path in files:
            name = os.path.relpath(path, repo)
            for line, text, marker in paragraphs(path):
                where = "%s:%d" % (name, line)
                if marker and marker[0] == "skip":
                    print("skip %s (%s)" % (where, marker[1]))
                    skipped += 1
                    continue
                if NPX_BUF in text and not have_buf:
                    print("skip %s (buf is not installed: needs npm)" % where)
                    skipped += 1
                    continue
                script = text.replace(NPX_BUF, shlex.quote(buf)).replace(
                    QUICKSTART_ADDRESS, stack.address)
                # The operations guide's tenant, for the examples that use it
                # without creating it (after another deleted it, say).
                if "acme" in script and "tenant create acme" not in script:
                    stack.shell("tnpsctl tenant list | cut -f2 | grep -qx acme || "
                                "tnpsctl tenant create acme --time-zone Europe/Zurich >/dev/null")
                expected = int(marker[1]) if marker and marker[0] == "exit" else 0
                try:
                    result = stack.shell(script)
                except subprocess.TimeoutExpired:
                    result = subprocess.CompletedProcess(script, 124, "", "timed out after 120 s")
                ran += 1
                if result.returncode != expected:
                    failed += 1
                    print("FAIL %s: exit %d, expected %d\n--- command\n%s\n--- stdout\n%s"
                          "--- stderr\n%s" % (where, result.returncode, expected, text,
                                              result.stdout[-3000:], result.stderr[-3000:]))
                else:
                    print("ok   %s" % where)
    finally:
        stack.close()
    print("%d command paragraphs run, %d failed, %d skipped" % (ran, failed, skipped))
    if ran == 0:
        print("no command found in the docs: the extraction is broken")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
