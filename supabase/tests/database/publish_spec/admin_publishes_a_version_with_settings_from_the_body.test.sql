begin;
select plan(3);

-- SETUP
select tests.seed();
select tests.authenticate_as('admin');
create temporary table published on commit drop as
select * from public.publish_spec(
    tests.workspace_id(), 'load', '2.0.0',
    '{"name": "load", "version": "2.0.0", "pool": "big", "retries": {"max_attempts": 5, "base_seconds": 2, "jitter_seconds": 0.5},
      "heartbeat_tolerance_seconds": 120, "caps": {"max_duration_seconds": 7200}}'
);
select tests.reset_role();

-- TEST: settings come from the body, with defaults
select results_eq(
    $$ select p.pool, p.max_attempts, p.backoff_base, p.backoff_max, p.backoff_jitter, p.heartbeat_tolerance, p.max_run_duration from published as p $$,
    $$ values ('big'::text, 5, interval '2 seconds', interval '1 hour', interval '0.5 seconds', interval '2 minutes', interval '2 hours') $$,
    'settings are derived from the body, with defaults'
);

-- TEST: the hash is of the body and the publisher is recorded
select is((select p.spec_hash from published as p), private.spec_hash((select p.body from published as p)), 'the hash is of the body');
select is((select p.published_by from published as p), tests.get_user_id('admin'), 'the publisher is recorded');

select * from finish();
rollback;
