begin;
select plan(7);

select tests.seed();
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);
select tests.reset_role();
select set_config('t.done', tests.submit_run(tests.workspace_id(), 'etl', 10)::text, true);
select set_config('t.live', tests.submit_run(tests.workspace_id(), 'etl', 0)::text, true);
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select set_config('t.lease_done', tests.claim(current_setting('t.executor')::uuid)::text, true);
select set_config('t.lease_live', tests.claim(current_setting('t.executor')::uuid)::text, true);
select public.start_run(current_setting('t.lease_done')::uuid);
select public.start_run(current_setting('t.lease_live')::uuid);
select public.register_artifact(
    current_setting('t.lease_done')::uuid, 'extract', 'out.csv',
    format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), current_setting('t.done')),
    repeat('a', 64), 1
);
select public.register_artifact(
    current_setting('t.lease_live')::uuid, 'extract', 'out.csv',
    format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), current_setting('t.live')),
    repeat('b', 64), 2
);
select public.complete_run(current_setting('t.lease_done')::uuid);
select tests.reset_role();

select throws_ok($$ update public.artifacts set size_bytes = 3 $$, '42501', null, 'records cannot be updated, even by the owner');
select throws_ok($$ delete from public.artifacts $$, '42501', null, 'records cannot be deleted');
select throws_ok($$ truncate public.artifacts $$, '42501', null, 'records cannot be truncated');
select throws_ok(
    format('delete from public.runs where id = %L', current_setting('t.done')), '42501', null,
    'a run with records cannot be deleted outside the purge'
);

-- The purge is database-wide: finished runs left by other suites may go too, so count at least one.
select cmp_ok(
    private.purge_finished_runs(now() + interval '1 minute'), '>=', 1::bigint, 'retention purges the finished run'
);
select results_eq(
    $$ select a.run_id::text from public.artifacts as a where a.workspace_id = tests.workspace_id() $$,
    $$ values (current_setting('t.live')) $$,
    'with its records; the live run keeps its own'
);
select private.purge_workspace(tests.workspace_id());
select is(
    (select count(*)::integer from public.artifacts where artifacts.workspace_id = tests.workspace_id()),
    0, 'purging a workspace removes its records'
);

select * from finish();
rollback;
