begin;
select plan(2);

select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() + interval '1 hour');
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);

select is(
    (select count(*)::integer from public.claim_runs(current_setting('t.executor')::uuid, 10)),
    0, 'a run is not claimed before its not_before'
);
select is(
    (select count(*)::integer from public.claim_runs(current_setting('t.executor')::uuid, 10, as_of => now() + interval '2 hours')),
    1, 'it is claimed once not_before has passed'
);

select * from finish();
rollback;
