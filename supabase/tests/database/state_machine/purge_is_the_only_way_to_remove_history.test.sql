begin;
select plan(3);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select public.cancel_run(current_setting('t.run')::uuid);

select is(private.purge_finished_runs(now() - interval '1 minute'), 0::bigint, 'recent runs are kept');
select is(private.purge_finished_runs(now() + interval '1 minute'), 1::bigint, 'older finished runs are purged');
select is(
    (select count(*)::integer from public.run_transitions where run_transitions.run_id = current_setting('t.run')::uuid),
    0, 'with their history'
);

select * from finish();
rollback;
