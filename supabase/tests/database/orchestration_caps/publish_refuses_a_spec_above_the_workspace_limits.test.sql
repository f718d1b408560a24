begin;
select plan(6);

-- SETUP
select tests.seed();
select public.set_workspace_limits(
    tests.workspace_id(),
    '{"max_memory_bytes": 1073741824, "max_run_duration_seconds": 3600, "max_attempts": 5,
      "min_heartbeat_tolerance_seconds": 60, "max_heartbeat_tolerance_seconds": 1800}'
);

-- TEST: each limit names the field, the value and the limit
select throws_ok(
    format($$ select public.publish_spec(%L, 'big', '1', '{"name": "big", "version": "1",
        "caps": {"max_duration_seconds": 600},
        "phases": [{"name": "a", "kind": "shell", "argv": ["true"]},
                   {"name": "b", "kind": "shell", "argv": ["true"], "caps": {"memory_bytes": 1099511627776}}]}') $$,
        tests.workspace_id()),
    '22023',
    'spec asks for phases[1].caps.memory_bytes=1099511627776 but the workspace''s limit is 1073741824',
    'a phase asking for 1 TiB of memory is refused'
);
select throws_ok(
    format($$ select public.publish_spec(%L, 'long', '1', '{"name": "long", "version": "1"}') $$, tests.workspace_id()),
    '22023',
    'spec asks for caps.max_duration_seconds=unset but the workspace''s limit is 3600',
    'a spec without a run duration is refused when the workspace bounds it'
);
select throws_ok(
    format($$ select public.publish_spec(%L, 'retry', '1', '{"name": "retry", "version": "1",
        "caps": {"max_duration_seconds": 3600}, "retries": {"max_attempts": 6}}') $$, tests.workspace_id()),
    '22023',
    'spec asks for retries.max_attempts=6 but the workspace''s limit is 5',
    'more attempts than the limit are refused'
);
select throws_ok(
    format($$ select public.publish_spec(%L, 'hb', '1', '{"name": "hb", "version": "1",
        "caps": {"max_duration_seconds": 3600}, "heartbeat_tolerance_seconds": 30}') $$, tests.workspace_id()),
    '22023',
    'spec asks for heartbeat_tolerance_seconds=30 but the workspace''s limit is 60',
    'a heartbeat tolerance below the minimum is refused'
);

-- TEST: a spec exactly at every limit is published; another workspace is not bound
select lives_ok(
    format($$ select public.publish_spec(%L, 'edge', '1', '{"name": "edge", "version": "1",
        "caps": {"max_duration_seconds": 3600}, "retries": {"max_attempts": 5}, "heartbeat_tolerance_seconds": 1800,
        "phases": [{"name": "a", "kind": "shell", "argv": ["true"], "caps": {"memory_bytes": 1073741824}}]}') $$,
        tests.workspace_id()),
    'a spec exactly at the limits is published'
);
select lives_ok(
    format($$ select public.publish_spec(%L, 'long', '1', '{"name": "long", "version": "1"}') $$, tests.other_workspace_id()),
    'another workspace has no limits'
);

select * from finish();
rollback;
