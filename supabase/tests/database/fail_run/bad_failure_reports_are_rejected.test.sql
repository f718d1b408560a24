begin;
select plan(3);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt() \gset

-- TEST: malformed failure reports are rejected
select throws_ok(
    format($$ select public.fail_run(%L, null, 'io') $$, :'lease'),
    '22023', null, 'retryable is required'
);
select throws_ok(
    format($$ select public.fail_run(%L, true, 'has spaces') $$, :'lease'),
    '22023', null, 'error_class is a stable token'
);
select throws_ok(
    format($$ select public.fail_run(%L, true, 'io', repeat('x', 10001)) $$, :'lease'),
    '22023', null, 'the message is bounded'
);

select * from finish();
rollback;
