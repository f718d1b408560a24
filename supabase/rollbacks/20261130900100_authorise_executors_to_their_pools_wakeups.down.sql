-- Rollback of 20261130900100: the policy and grants on realtime.messages go (where they exist).

do $policy$
begin
    if pg_catalog.to_regclass('realtime.messages') is null then
        return;
    end if;
    execute 'drop policy if exists controlroom_executor_reads_its_pools_wakeups on realtime.messages';
    execute 'revoke select on table realtime.messages from controlroom_executor';
    execute 'revoke usage on schema realtime from controlroom_executor';
end
$policy$;
