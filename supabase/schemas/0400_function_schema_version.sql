-- Why: a health probe for operators and executors. It reads the history table that
-- `supabase db push` keeps (supabase_migrations.schema_migrations), which exists before any of this.

create function public.schema_version()
returns text
language sql
stable
security definer
set search_path = ''
as $$
    select coalesce(max(m.version), 'none')
    from supabase_migrations.schema_migrations as m
$$;

comment on function public.schema_version() is
'The newest applied migration version; a health probe for operators and executors.';

revoke execute on function public.schema_version() from public;
grant execute on function public.schema_version() to anon, authenticated, service_role, controlroom_executor;
