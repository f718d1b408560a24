begin;
select plan(7);

-- SETUP
-- Two runs with a record each: "done" (higher priority, claimed first) succeeds, "live" keeps running.
select tests.seed();
select * from tests.queued_run(priority => 10) \gset done_
select * from tests.queued_run(priority => 0) \gset live_
select tests.executor(tests.workspace_id()) as executor_id \gset
select tests.claim(:'executor_id') as done_lease \gset
select tests.claim(:'executor_id') as live_lease \gset
select public.start_run(:'done_lease');
select public.start_run(:'live_lease');
select public.register_artifact(
    :'done_lease', 'extract', 'out.csv',
    format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), :'done_run_id'),
    repeat('a', 64), 1
);
select public.register_artifact(
    :'live_lease', 'extract', 'out.csv',
    format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), :'live_run_id'),
    repeat('b', 64), 2
);
select public.complete_run(:'done_lease');
select tests.reset_role();

-- TEST: records are write-once, even for the owner
select throws_ok($$ update public.artifacts set size_bytes = 3 $$, '42501', null, 'records cannot be updated, even by the owner');
select throws_ok($$ delete from public.artifacts $$, '42501', null, 'records cannot be deleted');
select throws_ok($$ truncate public.artifacts $$, '42501', null, 'records cannot be truncated');
select throws_ok(
    format('delete from public.runs where id = %L', :'done_run_id'), '42501', null,
    'a run with records cannot be deleted outside the purge'
);

-- TEST: retention purges a finished run with its records
-- The purge is database-wide: finished runs left by other suites may go too, so count at least one.
select cmp_ok(
    private.purge_finished_runs(now() + interval '1 minute'), '>=', 1::bigint, 'retention purges the finished run'
);
select results_eq(
    $$ select a.run_id::text from public.artifacts as a where a.workspace_id = tests.workspace_id() $$,
    format($$ values (%L) $$, :'live_run_id'),
    'with its records; the live run keeps its own'
);

-- TEST: purging a workspace removes its records
select private.purge_workspace(tests.workspace_id());
select is(
    (select count(*)::integer from public.artifacts where artifacts.workspace_id = tests.workspace_id()),
    0, 'purging a workspace removes its records'
);

select * from finish();
rollback;
