begin;
select plan(1);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt() \gset

-- TEST: there is nothing to confirm without a cancellation request
select throws_ok(
    format($$ select public.confirm_cancel(%L) $$, :'lease'),
    'PT422', null, 'nothing to confirm without a cancellation request'
);

select * from finish();
rollback;
