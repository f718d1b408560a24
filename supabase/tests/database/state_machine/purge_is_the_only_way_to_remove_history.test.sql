begin;
select plan(4);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select public.cancel_run(current_setting('t.run')::uuid);

-- The purge is database-wide: finished runs left by other suites may go too, so the checks are
-- about this test's run.
select private.purge_finished_runs(now() - interval '1 minute');
select ok(exists (select from public.runs where runs.id = current_setting('t.run')::uuid), 'recent runs are kept');
select cmp_ok(
    private.purge_finished_runs(now() + interval '1 minute'), '>=', 1::bigint, 'older finished runs are purged'
);
select ok(
    not exists (select from public.runs where runs.id = current_setting('t.run')::uuid), 'this run among them'
);
select is(
    (select count(*)::integer from public.run_transitions where run_transitions.run_id = current_setting('t.run')::uuid),
    0, 'with their history'
);

select * from finish();
rollback;
