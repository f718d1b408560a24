begin;
select plan(4);

-- SETUP
select tests.seed();
select * from tests.queued_run() \gset
select public.cancel_run(:'run_id');

-- TEST: the purge removes finished runs older than its cutoff, with their history
-- The purge is database-wide: finished runs left by other suites may go too, so the checks are
-- about this test's run.
select private.purge_finished_runs(now() - interval '1 minute');
select ok(exists (select from public.runs where runs.id = :'run_id'), 'recent runs are kept');
select cmp_ok(
    private.purge_finished_runs(now() + interval '1 minute'), '>=', 1::bigint, 'older finished runs are purged'
);
select ok(
    not exists (select from public.runs where runs.id = :'run_id'), 'this run among them'
);
select is(
    (select count(*)::integer from public.run_transitions where run_transitions.run_id = :'run_id'),
    0, 'with their history'
);

select * from finish();
rollback;
