begin;
select plan(3);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt() \gset
select public.fail_run(:'lease', false, 'io');
select tests.reset_role();

-- TEST: attempt numbers have no gaps
select throws_ok(
    format(
        $$
        insert into public.run_attempts (run_id, workspace_id, attempt_no, executor_id, claimed_at, heartbeat_at, heartbeat_tolerance, lease_expires_at)
        select a.run_id, a.workspace_id, 3, a.executor_id, now(), now(), interval '1 minute', now() + interval '1 minute'
        from public.run_attempts as a where a.lease_token = %L
        $$,
        :'lease'
    ),
    'PT422', null, 'attempt 3 cannot follow attempt 1'
);

-- TEST: a closed attempt never changes
select throws_ok(
    format($$ update public.run_attempts set status = 'claimed', finished_at = null, error_class = null where lease_token = %L $$, :'lease'),
    '42501', null, 'a closed attempt cannot be reopened (its lease stays dead)'
);
select throws_ok(
    format($$ update public.run_attempts set lease_token = gen_random_uuid() where lease_token = %L $$, :'lease'),
    '42501', null, 'a lease token never changes'
);

select * from finish();
rollback;
