begin;
select plan(9);

-- SETUP
-- Run old: finished 40 days ago with four events of then. Run recent: finished now. The other
-- workspace has an old run too, and no policy.
select tests.seed();
select * from tests.running_attempt(now() - interval '40 days') \gset
select public.emit_events(:'lease', jsonb_build_array(
    jsonb_build_object('seq', 1, 'type', 'log', 'ts', now() - interval '40 days'),
    jsonb_build_object('seq', 2, 'type', 'log', 'ts', now() - interval '40 days'),
    jsonb_build_object('seq', 3, 'type', 'log', 'ts', now() - interval '40 days'),
    jsonb_build_object('seq', 4, 'type', 'log', 'ts', now() - interval '40 days')
), now() - interval '40 days');
select public.complete_run(:'lease', '{}', now() - interval '40 days');
select
    r.run_id as recent_id,
    r.lease as recent_lease
from tests.running_attempt() as r \gset
select public.emit_events(:'recent_lease', '[{"seq": 1, "type": "log"}]');
select public.complete_run(:'recent_lease', '{}');
select
    r.run_id as other_id,
    r.lease as other_lease
from tests.running_attempt(now() - interval '40 days', tests.other_workspace_id()) as r \gset
select public.complete_run(:'other_lease', '{}', now() - interval '40 days');
select tests.reset_role();
select count(*) as old_events from public.run_events as e where e.run_id = :'run_id' \gset
select public.set_retention_policy(tests.workspace_id(), events_after_days => 30);

-- TEST: one call purges at most max_rows and says there is more; each batch is recorded
select is(private.apply_retention(now(), 2), '{"purged": 2, "more": true}'::jsonb, 'bounded: two events, more to come');
select results_eq(
    format($$ select p.what, p.rows_purged, p.cutoff, p.policy ->> 'events_after_days'
        from public.retention_purges as p where p.workspace_id = %L $$, tests.workspace_id()),
    $$ values ('run_events'::text, 2::bigint, now() - interval '30 days', '30'::text) $$,
    'the purge is recorded: what, how many, the cutoff and the policy'
);
select is(
    (private.apply_retention(now(), 1000) ->> 'purged')::integer, :old_events - 2,
    'the next call purges the rest'
);
select is((select count(*)::integer from public.run_events as e where e.run_id = :'run_id'), 0, 'old events are gone');
select isnt((select count(*)::integer from public.run_events as e where e.run_id = :'recent_id'), 0, 'recent events stay');
select is((tests.run(:'run_id')).status, 'succeeded', 'the events policy keeps the run itself');

-- TEST: the runs policy purges finished runs with their history, in this workspace only
select public.set_retention_policy(tests.workspace_id(), events_after_days => 30, runs_after_days => 30);
select is(private.apply_retention(now(), 1000), '{"purged": 1, "more": false}'::jsonb, 'one old run purged');
select results_eq(
    format($$ select count(*) filter (where id = %L)::integer, count(*) filter (where id in (%L, %L))::integer
        from public.runs $$, :'run_id', :'recent_id', :'other_id'),
    $$ values (0, 2) $$,
    'the old run is gone; the recent one and the other workspace''s old run (no policy) stay'
);
select is(
    (select count(*)::integer from public.retention_purges as p where p.workspace_id = tests.workspace_id() and p.what = 'runs'),
    1, 'the run purge is recorded'
);

select * from finish();
rollback;
