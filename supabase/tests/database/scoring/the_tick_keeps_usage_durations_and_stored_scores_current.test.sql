begin;
select plan(8);

-- SETUP
-- One run of etl ran 10:00-10:10 (600 s); the first tick at 10:20 charges it and estimates etl's
-- duration; three more runs wait for rescoring.
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl', 0, '2026-11-02 09:59+00');
select tests.executor(tests.workspace_id()) as executor_id \gset
select pg_catalog.count(done.reply)
from public.claim_runs(:'executor_id', 1, as_of => '2026-11-02 10:00+00', start => true) as c
cross join lateral public.complete_run(c.lease_token, null, '2026-11-02 10:10+00') as done (reply);
select tests.reset_role();
select tests.submit_run(tests.workspace_id(), 'etl', 0, '2026-11-02 10:11+00') as run_id \gset
select tests.submit_run(tests.workspace_id(), 'etl', 0, '2026-11-02 10:11+00');
select tests.submit_run(tests.workspace_id(), 'etl', 0, '2026-11-02 10:11+00');

-- TEST: the tick charges usage and estimates the duration, in bounded batches
select is(
    (public.refresh_scores(tests.pool(), 2, '2026-11-02 10:20+00') ->> 'rescored')::integer,
    2, 'a batch rescoring at most max_runs runs'
);
select is(
    (select u.usage_seconds from public.fair_share_usage as u where u.pool = tests.pool()),
    600::double precision, 'the 600 s run is charged to the workspace'
);
select is(
    (select e.median_seconds from public.spec_duration_estimates as e where e.workspace_id = tests.workspace_id()),
    600::double precision, 'etl''s median duration is 600 s'
);
select is(
    (public.refresh_scores(tests.pool(), 2, '2026-11-02 10:21+00') ->> 'rescored')::integer,
    1, 'the next tick resumes after the cursor'
);

-- TEST: the stored score is the score at the tick; shorter expected duration scores higher
select public.refresh_scores(tests.pool(), 10, '2026-11-02 10:22+00');
select is(
    (tests.run(:'run_id')).score,
    (select t.contribution from public.explain_score(:'run_id', '2026-11-02 10:22+00') as t where t.factor = 'total'),
    'the stored score is the sum of the factors at the tick'
);
select is(
    (select f.normalised from public.explain_score(:'run_id', '2026-11-02 10:21+00') as f where f.factor = 'duration'),
    (1 - 600 / 3600.0)::double precision, 'duration factor: 1 - median / duration_max_seconds'
);

-- TEST: usage decays with the half-life
select u.usage_seconds as usage_before from public.fair_share_usage as u where u.pool = tests.pool() \gset
select public.set_score_weights(tests.pool(), '{"fair_share_half_life_seconds": 600}');
select public.refresh_scores(tests.pool(), 10, '2026-11-02 10:32+00');
select is(
    (select u.usage_seconds from public.fair_share_usage as u where u.pool = tests.pool()),
    :'usage_before'::double precision / 2, 'one half-life later the usage is halved'
);

-- TEST: only the service role refreshes
select tests.authenticate_as('owner');
select throws_ok(
    format($$ select public.refresh_scores(%L) $$, tests.pool()), '42501', null, 'a workspace owner cannot run the tick'
);

select * from finish();
rollback;
