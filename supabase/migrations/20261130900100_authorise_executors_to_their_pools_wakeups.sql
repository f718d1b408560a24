-- Why: on hosted Supabase the wake-ups are Realtime broadcasts on private channels, authorised by
-- RLS on realtime.messages. Until now the policy was only described in docs/realtime.md, so a
-- hosted project had to add it by hand or executors could not join their pool's topic. Created only
-- where the realtime schema exists; the local stack's endpoint enforces the same rule itself.

set lock_timeout = '5s';
set statement_timeout = '60s';

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
