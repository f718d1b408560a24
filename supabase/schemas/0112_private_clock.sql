-- The time an RPC acts at. as_of exists for tests and operators' tools; an API caller other than
-- the service role always gets the database clock (docs/security.md).

create function private.caller_may_choose_time()
returns boolean
language sql
stable
set search_path = ''
as $$
    -- Requests through the API arrive in a session of PostgREST's login role (authenticator): there
    -- only the service role may choose the time. Direct database sessions (pg_cron, migrations,
    -- operators' psql, the test suites) hold the database's own credentials already.
    select private.caller_role() = 'service_role' or session_user::text <> 'authenticator'
$$;

comment on function private.caller_may_choose_time() is
'Whether the caller may pass as_of: the service role, or a direct database session (not an API request). Everyone else gets the database clock.';

create function private.clock(as_of timestamptz)
returns timestamptz
language sql
stable
set search_path = ''
as $$
    select case
        when clock.as_of is null then pg_catalog.now()
        when private.caller_may_choose_time() then clock.as_of
        else pg_catalog.now()
    end
$$;

comment on function private.clock(timestamptz) is
'The time an RPC acts at: as_of when the caller may choose the time (private.caller_may_choose_time), otherwise the database clock (now()).';
