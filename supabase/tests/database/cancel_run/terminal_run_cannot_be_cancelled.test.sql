begin;
select plan(1);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset
select public.complete_run(:'lease');
select tests.authenticate_as('operator');

-- TEST: a succeeded run cannot be cancelled
select throws_ok(
    format($$ select public.cancel_run(%L) $$, :'run_id'),
    'PT422', null, 'a succeeded run cannot be cancelled'
);

select * from finish();
rollback;
