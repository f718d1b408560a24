-- Why: on hosted Supabase the wake-ups of 0325 are Realtime broadcasts on private channels, which
-- Realtime authorises by RLS on realtime.messages: an executor token may join only its own pool's
-- topic (controlroom:wake:<pool claim>); the service role bypasses RLS. Created only where the
-- realtime schema exists, so the same migration runs on the local stack, whose Realtime-compatible
-- endpoint enforces the same rule in gateway/realtime.py (docs/realtime.md).

do $policy$
begin
    if pg_catalog.to_regclass('realtime.messages') is null then
        -- The local stack has no Realtime server: its endpoint applies the same rule
        -- (gateway/realtime.py, may_read).
        return;
    end if;
    -- Realtime checks a join by reading realtime.messages as the token's role, then rolls back.
    execute 'grant usage on schema realtime to controlroom_executor';
    execute 'grant select on table realtime.messages to controlroom_executor';
    execute $create$
        create policy controlroom_executor_reads_its_pools_wakeups on realtime.messages
        for select to controlroom_executor
        using (
            realtime.messages.extension = 'broadcast'
            and realtime.topic() = 'controlroom:wake:'
            || ((pg_catalog.current_setting('request.jwt.claims', true))::jsonb ->> 'pool')
        )
    $create$;
end
$policy$;
