-- Executors are untrusted, stateless and may be zombies (paused, partitioned, killed and
-- restarted). Every write they make goes through the executor RPCs and carries the attempt's lease
-- token, so the database alone decides whether the write still counts (fencing). A write with a
-- dead lease changes nothing and is answered with HTTP 409 (PT409); the rejection is recorded as
-- a run event in the same, committed, transaction (see docs/architecture.md, "Control plane").

create function private.assert_executor_role()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    if private.caller_role() <> 'controlroom_executor' then
        raise exception 'only executors call this function'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Call it with an executor JWT (role controlroom_executor).';
    end if;
    if (select auth.uid()) is null then
        raise exception 'the executor token has no sub claim'
        using errcode = '42501',
        detail = 'Executor JWTs carry a random uuid as sub; it identifies the credential.',
        hint = 'Mint executor tokens with controlroom.keys.';
    end if;
end
$$;

comment on function private.assert_executor_role() is
'Raises 42501 unless the caller is the executor role with a sub claim.';

create function private.assert_executor(executor_id uuid)
returns public.executors
language plpgsql
stable
set search_path = ''
as $$
declare
    v_executor public.executors;
begin
    perform private.assert_executor_role();
    select x.* into v_executor from public.executors as x where x.id = assert_executor.executor_id;
    if not found then
        raise exception 'executor % is not registered', assert_executor.executor_id
        using errcode = 'PT404',
        detail = 'No executor has this id.',
        hint = 'Call register_executor and use the id it returns.';
    end if;
    if v_executor.token_sub <> (select auth.uid()) then
        raise exception 'executor % belongs to another credential', assert_executor.executor_id
        using errcode = '42501',
        detail = 'The token''s sub differs from the one that registered the executor.',
        hint = 'Use the id returned by your own register_executor call.';
    end if;
    return v_executor;
end
$$;

comment on function private.assert_executor(uuid) is
'Returns the executor row after checking that the caller is the executor role with the credential that registered it.';

create function private.lock_lease(lease uuid)
returns public.run_attempts
language plpgsql
set search_path = ''
as $$
declare
    v_attempt public.run_attempts;
begin
    select a.* into v_attempt
    from public.run_attempts as a
    where a.lease_token = lock_lease.lease
    for no key update;
    if not found then
        raise exception 'no attempt holds lease %', lock_lease.lease
        using errcode = 'PT404',
        detail = 'The token is wrong, or its run was purged.',
        hint = 'Stop working on this run.';
    end if;
    if not exists (
        select
        from public.executors as x
        where x.id = v_attempt.executor_id and x.token_sub = (select auth.uid())
    ) then
        raise exception 'lease % belongs to another executor credential', lock_lease.lease
        using errcode = '42501',
        detail = 'Only the credential that claimed the attempt may use its lease.',
        hint = 'Use the leases returned by your own claim_runs calls.';
    end if;
    return v_attempt;
end
$$;

comment on function private.lock_lease(uuid) is
'Locks and returns the attempt that holds a lease token (PT404 unknown token, 42501 another credential). Whether the lease is still live is for the caller to decide.';
