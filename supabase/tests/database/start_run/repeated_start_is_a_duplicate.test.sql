begin;
select plan(2);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset

-- TEST: a second start is a duplicate that changes nothing
select is(
    (select public.start_run(:'lease') ->> 'outcome'),
    'duplicate', 'a second start says duplicate'
);
select tests.reset_role();
select is(
    (select count(*)::integer from public.run_transitions where run_transitions.run_id = :'run_id'),
    3, 'and changes nothing (submitted, claimed, running)'
);

select * from finish();
rollback;
