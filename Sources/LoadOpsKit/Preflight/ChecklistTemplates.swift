import Foundation

/// The checklists `loadops init` writes into `checklists/`: the operations guide's pre-test verification
/// script, its "Resource Cleanup" and its "Data Cleanup", as data.
public enum ChecklistTemplates {
    /// `checklists/preflight.yml`.
    public static let preflightTemplate = """
        # checklists/preflight.yml: `loadops preflight` (and `loadops run --preflight`) runs these
        # checks at the same time, each within its timeout, and prints them in this order:
        #   ✓ passed   ⚠ warning (fails only with --strict)   ✗ failed (exit 1)
        # Kinds: http, postgres, redis, tcp, disk, memory, command, env.
        # Passwords: put the variable's name in `password_env:`, never the password in the file.

        timeout: 10s            # default per check

        checks:
          # The operations guide's `curl -sf http://localhost:8000/health`; the path is joined to `host:` of loadops.yml.
          - name: API
            kind: http
            path: /health
            expect: 200
            latency_budget: 1s  # slower than this is a warning

          # The operations guide's `pg_isready -U devstack`, over the real protocol: SELECT 1, the server
          # version, and how many connections are left below max_connections.
          - name: Database
            kind: postgres
            url: postgres://devstack@127.0.0.1:5432/devstack
            password_env: DEVSTACK_DB_PASSWORD
            warn_headroom: 10   # warn when fewer connections than this are free

          # The operations guide's `redis-cli ping`, plus used_memory against maxmemory.
          - name: Redis
            kind: redis
            url: redis://127.0.0.1:6379/0
            password_env: REDIS_PASSWORD
            warn_percent: 80

          # The operations guide's `df -h .`: warn at 80% used.
          - name: Disk space
            kind: disk
            path: .
            warn_percent: 80
            # fail_percent: 95

          # The operations guide's `free -m`: warn under 1000 MB available.
          - name: Memory
            kind: memory
            warn_below_mb: 1000

          # More kinds, for reference:
          # - name: Message broker
          #   kind: tcp
          #   address: 127.0.0.1:5672
          # - name: Migrations applied
          #   kind: command
          #   command: ./scripts/check-migrations.sh
          #   timeout: 30s
          # - name: Load test settings
          #   kind: env
          #   variables: [LOAD_TEST_HOST]

        """

    /// `checklists/cleanup.yml`: before a run.
    public static let cleanupTemplate = """
        # checklists/cleanup.yml: `loadops cleanup` (and `loadops run --cleanup`) clears what the
        # previous test left, as the operations guide's "Resource Cleanup" does. Steps run in order and stop at
        # the first failure. `--dry-run` shows the plan; on a terminal you are asked before
        # anything is changed, elsewhere pass --yes. Refused when loadops.yml says
        # `environment: production`, unless --allow-production.
        # Kinds: sql, redis-flush, remove (inside the output folder only), command.

        steps:
          - name: Clear previous test data
            kind: sql
            url: postgres://devstack@127.0.0.1:5432/devstack
            password_env: DEVSTACK_DB_PASSWORD
            statements:
              - TRUNCATE TABLE generation_tasks CASCADE

          - name: Clear Redis cache
            kind: redis-flush
            url: redis://127.0.0.1:6379
            password_env: REDIS_PASSWORD
            db: 0

          # The operations guide's `rm -rf load_test_reports/*`: patterns are relative to `output:` of
          # loadops.yml, and nothing outside that folder is ever removed. Results that no archive
          # in archive_dest holds yet (the same files with the same SHA-256) are archived there first
          # (unarchived: archive), or the step fails and removes nothing (unarchived: refuse).
          - name: Clear old reports
            kind: remove
            paths: ["*"]
            unarchived: archive
            archive_dest: archive

        """

    /// `checklists/post-test.yml`: after a run (`loadops cleanup --post-test`).
    public static let postTestTemplate = """
        # checklists/post-test.yml: `loadops cleanup --post-test` (and `loadops run --post-test`)
        # removes what the load test created, as the operations guide's "Data Cleanup" does.
        # Archive the results first (`loadops archive`).

        steps:
          # Statements of one step share a transaction; VACUUM runs on its own, after them.
          - name: Remove test data from database
            kind: sql
            url: postgres://devstack@127.0.0.1:5432/devstack
            password_env: DEVSTACK_DB_PASSWORD
            statements:
              - DELETE FROM generation_tasks WHERE created_by IN (SELECT id FROM users WHERE email LIKE 'loadtest%')
              - DELETE FROM users WHERE email LIKE 'loadtest%'
              - VACUUM ANALYZE

          - name: Clear Redis
            kind: redis-flush
            url: redis://127.0.0.1:6379
            password_env: REDIS_PASSWORD
            db: 0

        """
}
