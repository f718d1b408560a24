begin;
select plan(2);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()), now() - interval '1 hour')::text, true);
select tests.reset_role();
select public.requeue_stale_runs();
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());

select is(
    (select public.emit_events(current_setting('t.lease')::uuid, '[{"type": "log", "seq": 1}]') ->> 'code'),
    'PT409', 'events of a dead lease are rejected'
);
select tests.reset_role();
select results_eq(
    $$ select e.type from public.run_events as e where e.run_id = current_setting('t.run')::uuid order by e.id $$,
    $$ values ('attempt.lost'::text), ('lease.rejected'::text) $$,
    'none of them is stored; the rejection is'
);

select * from finish();
rollback;
