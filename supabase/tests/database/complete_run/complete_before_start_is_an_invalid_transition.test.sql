begin;
select plan(1);

select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);

select throws_ok(
    $$ select public.complete_run(current_setting('t.lease')::uuid) $$,
    'PT422', null, 'a claimed attempt must be started before it completes'
);

select * from finish();
rollback;
