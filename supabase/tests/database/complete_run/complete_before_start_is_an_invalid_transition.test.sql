begin;
select plan(1);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt() \gset

-- TEST: a claimed attempt cannot complete before it starts
select throws_ok(
    format($$ select public.complete_run(%L) $$, :'lease'),
    'PT422', null, 'a claimed attempt must be started before it completes'
);

select * from finish();
rollback;
