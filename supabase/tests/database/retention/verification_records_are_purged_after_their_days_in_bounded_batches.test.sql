begin;
select plan(6);

-- SETUP
-- A running run's artifact, verified three times 40 days ago and once now; other events of the run.
select tests.seed();
select * from tests.registered_artifact() \gset
select public.emit_events(:'lease', jsonb_build_array(jsonb_build_object('seq', 1, 'type', 'log', 'ts', now() - interval '40 days')));
select tests.reset_role();
select public.record_artifact_verification(:'artifact_id', true, repeat('a', 64), 100, now() - interval '40 days')
from generate_series(1, 2);
select public.record_artifact_verification(:'artifact_id', false, null, null, now() - interval '40 days');
select public.record_artifact_verification(:'artifact_id', true, repeat('a', 64), 100);
select public.set_retention_policy(tests.workspace_id(), verifications_after_days => 30);

-- TEST: one call purges at most max_rows verification records, recorded with the policy
select is(private.apply_retention(now(), 2), '{"purged": 2, "more": true}'::jsonb, 'bounded: two, more to come');
select results_eq(
    format($$ select p.what, p.rows_purged, p.cutoff, p.policy ->> 'verifications_after_days'
        from public.retention_purges as p where p.workspace_id = %L $$, tests.workspace_id()),
    $$ values ('artifact_verifications'::text, 2::bigint, now() - interval '30 days', '30'::text) $$,
    'recorded: what, how many, the cutoff and the policy'
);
select is(private.apply_retention(now(), 100), '{"purged": 1, "more": false}'::jsonb, 'the next call purges the rest');

-- TEST: only old verification records go, of a run that is still running
select is(
    (select count(*)::integer from public.run_events as e
        where e.run_id = :'run_id' and e.type in ('artifact.verified', 'artifact.verification_failed')),
    1, 'the recent verification stays'
);
select is(
    (select count(*)::integer from public.run_events as e where e.run_id = :'run_id' and e.type = 'log'), 1,
    'the run''s other old events stay (no events policy)'
);
select is((tests.run(:'run_id')).status, 'running', 'the run itself is untouched');

select * from finish();
rollback;
