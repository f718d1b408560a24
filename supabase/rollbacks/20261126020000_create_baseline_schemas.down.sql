-- Rollback of 20261126020000_create_baseline_schemas: restores PostgreSQL's default grants.

drop function public.schema_version();

alter default privileges in schema public grant all on sequences to anon, authenticated;
alter default privileges in schema public grant all on tables to anon, authenticated;
alter default privileges in schema public grant execute on functions to anon, authenticated;
alter default privileges grant execute on functions to public;

drop schema private;
