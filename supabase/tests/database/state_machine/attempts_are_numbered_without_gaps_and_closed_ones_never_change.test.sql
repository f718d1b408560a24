begin;
select plan(3);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.fail_run(current_setting('t.lease')::uuid, false, 'io');
select tests.reset_role();

select throws_ok(
    $$
    insert into public.run_attempts (run_id, workspace_id, attempt_no, executor_id, claimed_at, heartbeat_at, heartbeat_tolerance, lease_expires_at)
    select a.run_id, a.workspace_id, 3, a.executor_id, now(), now(), interval '1 minute', now() + interval '1 minute'
    from public.run_attempts as a where a.lease_token = current_setting('t.lease')::uuid
    $$,
    'PT422', null, 'attempt 3 cannot follow attempt 1'
);
select throws_ok(
    $$ update public.run_attempts set status = 'claimed', finished_at = null, error_class = null where lease_token = current_setting('t.lease')::uuid $$,
    '42501', null, 'a closed attempt cannot be reopened (its lease stays dead)'
);
select throws_ok(
    $$ update public.run_attempts set lease_token = gen_random_uuid() where lease_token = current_setting('t.lease')::uuid $$,
    '42501', null, 'a lease token never changes'
);

select * from finish();
rollback;
