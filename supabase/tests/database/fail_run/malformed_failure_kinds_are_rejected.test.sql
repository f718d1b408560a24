begin;
select plan(3);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset

-- TEST: the failure kind is one of two words and the phase a phase name
select throws_ok(
    format($$ select public.fail_run(%L, true, 'io', null, null, 'flaky') $$, :'lease'),
    '22023', 'failure_kind must be deterministic or transient, got ''flaky''', 'an unknown kind is refused'
);
select throws_ok(
    format($$ select public.fail_run(%L, true, 'io', null, null, 'transient', 'has spaces') $$, :'lease'),
    '22023', null, 'the phase is a phase name'
);
select tests.reset_role();
select is((tests.attempt(:'lease')).status, 'running', 'a refused report changes nothing');

select * from finish();
rollback;
