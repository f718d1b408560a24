begin;
select plan(4);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt(now() - interval '16 minutes') \gset
select tests.reset_role();

-- TEST: one stale lease is requeued
select is(
    public.requeue_stale_runs(null, tests.workspace_id()) - 'as_of',
    '{"requeued": 1, "failed": 0, "cancelled": 0, "timed_out": 0, "closed_attempts": 1, "moved_runs": 1}'::jsonb,
    'one stale lease (16 min > 15 min tolerance) is requeued'
);

-- TEST: the attempt is lost and the run queued again after the backoff, by system:requeue
select results_eq(
    format($$ select a.status, a.error_class, a.retry_delay from public.run_attempts as a where a.lease_token = %L $$, :'lease'),
    $$ values ('lost'::text, 'lease_lost'::text, interval '10 seconds') $$,
    'the attempt is closed as lost with the first backoff'
);
select results_eq(
    format($$ select r.status, r.not_before from public.runs as r where r.id = %L $$, :'run_id'),
    $$ values ('queued'::text, now() + interval '10 seconds') $$,
    'the run is queued again after the backoff'
);
select is(
    (select t.actor from public.run_transitions as t where t.run_id = :'run_id' order by t.id desc limit 1),
    'system:requeue', 'the transition is by system:requeue'
);

select * from finish();
rollback;
