begin;
select plan(2);

-- SETUP
select tests.seed('{"retries": {"max_attempts": 1}}');
select * from tests.claimed_attempt(now() - interval '1 hour') \gset
select tests.reset_role();

-- TEST: a stale run with no attempts left is failed, and is terminal
select is((public.requeue_stale_runs(null, tests.workspace_id()) ->> 'failed')::integer, 1, 'the run with no attempts left is failed');
select results_eq(
    format($$ select r.status, r.finished_at from public.runs as r where r.id = %L $$, :'run_id'),
    $$ values ('failed'::text, now()) $$,
    'it is terminal'
);

select * from finish();
rollback;
