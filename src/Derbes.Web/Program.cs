using Derbes.Web.Api;
using Derbes.Web.Startup;

// Derbes: the customer-account and personal-data platform of the SMALL website.
// This file is the table of contents; each heading points at the concept folder that does the work.
// An operator command's own file names stay out of the configuration (see Commands.Settings); its settings do not.
var builder = WebApplication.CreateBuilder(Commands.Named(args) is null ? args : Commands.Settings(args[1..]));

// Options, validated at start, and the data folder (database, keys, documents, mail and SMS pickup).
builder.AddDerbesOptions();

// Database: SQLite by default (WAL, busy timeout), PostgreSQL when Database:Provider says so.
builder.AddDerbesDatabase();

// Identity and sessions: Argon2id hashes, lockout in the database, __Host- cookies, security stamp on every request.
builder.AddDerbesIdentity();

// Personal data: per-customer keys, blind indexes, documents, consents, audit, outbox and its worker.
builder.AddDerbesServices();

// Pages, languages (kk, ru, en), rate limits and health.
builder.AddDerbesWeb();

// The mobile app's JSON API under /api/v1 (bearer tokens, problem+json) and its OpenAPI document.
builder.AddDerbesApi();

var app = builder.Build();

// Operator commands (backup, restore, verify-backup, verify-audit) use the same configuration and database, then exit.
if (Commands.Named(args) is { } command)
{
    return await Commands.RunAsync(app, command, args[1..], Console.Out);
}

// Errors, security headers, HSTS, static files, localisation, authentication, rate limits, pages.
app.UseDerbesPipeline();

// First start: migrations, policy edition 1, and the one-time link for the first administrator.
await app.InitialiseDerbesAsync();

await app.RunAsync();
return 0;

/// <summary>The entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
