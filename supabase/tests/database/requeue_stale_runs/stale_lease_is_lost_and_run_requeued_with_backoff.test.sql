begin;
select plan(4);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()), now() - interval '16 minutes')::text, true);
select tests.reset_role();

select is(
    public.requeue_stale_runs() - 'as_of',
    '{"requeued": 1, "failed": 0, "cancelled": 0, "timed_out": 0, "closed_attempts": 1, "moved_runs": 1}'::jsonb,
    'one stale lease (16 min > 15 min tolerance) is requeued'
);
select results_eq(
    $$ select a.status, a.error_class, a.retry_delay from public.run_attempts as a where a.lease_token = current_setting('t.lease')::uuid $$,
    $$ values ('lost'::text, 'lease_lost'::text, interval '10 seconds') $$,
    'the attempt is closed as lost with the first backoff'
);
select results_eq(
    $$ select r.status, r.not_before from public.runs as r where r.id = current_setting('t.run')::uuid $$,
    $$ values ('queued'::text, now() + interval '10 seconds') $$,
    'the run is queued again after the backoff'
);
select is(
    (select t.actor from public.run_transitions as t where t.run_id = current_setting('t.run')::uuid order by t.id desc limit 1),
    'system:requeue', 'the transition is by system:requeue'
);

select * from finish();
rollback;
