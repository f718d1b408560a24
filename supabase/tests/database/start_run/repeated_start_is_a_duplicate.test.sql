begin;
select plan(2);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);

select is(
    (select public.start_run(current_setting('t.lease')::uuid) ->> 'outcome'),
    'duplicate', 'a second start says duplicate'
);
select tests.reset_role();
select is(
    (select count(*)::integer from public.run_transitions where run_transitions.run_id = current_setting('t.run')::uuid),
    3, 'and changes nothing (submitted, claimed, running)'
);

select * from finish();
rollback;
