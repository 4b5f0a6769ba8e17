using System.Globalization;
using System.Security.Claims;
using Derbes.Web.Api;
using Derbes.Web.Audit;
using Derbes.Web.Consents;
using Derbes.Web.Customers;
using Derbes.Web.Data;
using Derbes.Web.Documents;
using Derbes.Web.Localization;
using Derbes.Web.Messaging;
using Derbes.Web.Pages.Account;
using Derbes.Web.Security;
using Derbes.Web.Settings;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Derbes.Web.Startup;

public static class DerbesServices
{
    public static void AddDerbesOptions(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        // Last source, so it wins over appsettings, the environment and the command line: what an Administrator
        // saved at /admin/settings (only the keys in EditableSettings). Filled by DatabaseSettings once the app runs.
        // Keep it first here: a source added to builder.Configuration after this one would win over the page.
        var saved = new DatabaseSettingsSource();
        ((IConfigurationBuilder)builder.Configuration).Add(saved);
        services.AddSingleton(saved);
        services.AddOptions<SettingsOptions>().BindConfiguration(SettingsOptions.Section);
        services.AddOptions<DataOptions>().BindConfiguration(DataOptions.Section);
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section);
        services.AddOptions<KeyOptions>().BindConfiguration(KeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PasswordHashingOptions>().BindConfiguration(PasswordHashingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DocumentOptions>().BindConfiguration(DocumentOptions.Section);
        // Validated again whenever the configuration changes: an invalid retention then fails the purge run, never shortens it.
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SiteOptions>().BindConfiguration(SiteOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MailOptions>().BindConfiguration(MailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SmsOptions>().BindConfiguration(SmsOptions.Section);
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Privacy.PolicyNoticeOptions>().BindConfiguration(Privacy.PolicyNoticeOptions.Section);
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section);
        services.AddOptions<Requests.RequestOptions>().BindConfiguration(Requests.RequestOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        var dataRoot = builder.Configuration[$"{DataOptions.Section}:Directory"] ?? "data";
        services.AddSingleton(new DataDirectory(dataRoot));
        services.AddSingleton(TimeProvider.System);
    }

    public static void AddDerbesDatabase(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var configured = builder.Configuration.GetConnectionString("Derbes");
        // Pooled: a context is reset and reused rather than built for every request.
        if (options.Provider == DatabaseProvider.Postgres)
        {
            if (string.IsNullOrWhiteSpace(configured))
            {
                throw new InvalidOperationException("Database:Provider is Postgres but ConnectionStrings:Derbes is not set.");
            }
            var connection = WithSiteDefaults(new Npgsql.NpgsqlConnectionStringBuilder(configured)).ToString();
            builder.Services.AddDbContextPool<DerbesDb, PostgresDerbesDb>(db =>
            {
                db.UseNpgsql(connection);
                db.ConfigureWarnings(w => w.Ignore(CoreEventId.MappedPropertyIgnoredWarning));
            });
            return;
        }
        builder.Services.AddDbContextPool<DerbesDb, SqliteDerbesDb>((services, db) =>
        {
            var data = services.GetRequiredService<DataDirectory>();
            var connection = new SqliteConnectionStringBuilder(configured ?? $"Data Source={data.Resolve("derbes.db")}")
            {
                // Writers wait for each other instead of failing at once.
                DefaultTimeout = 30,
                Pooling = true,
            };
            db.UseSqlite(connection.ToString());
            // Identity maps Email and PhoneNumber; Derbes ignores them on purpose (they are sealed elsewhere).
            db.ConfigureWarnings(w => w.Ignore(CoreEventId.MappedPropertyIgnoredWarning));
        });
    }

    /// <summary>
    /// What every request pays PostgreSQL for less of, unless the connection string says otherwise:
    /// <list type="bullet">
    /// <item>the statements a request repeats (the sign-in's look-up, the shared rate counter, the chain lock and the
    /// chain's head, the session check) are prepared on each pooled connection after their second use
    /// (<c>Max Auto Prepare=64</c>), so the server parses and plans them once per connection instead of per call;</item>
    /// <item>a connection going back to the pool is not reset (<c>No Reset On Close</c>): the reset is a round of
    /// commands on the server for every open, and the site leaves no session state to reset (no <c>SET</c>, no
    /// temporary tables or cursors; its chain lock ends with its transaction, and its one session lock, held while an
    /// instance migrates, is released before the connection is closed).</item>
    /// </list>
    /// </summary>
    public static Npgsql.NpgsqlConnectionStringBuilder WithSiteDefaults(Npgsql.NpgsqlConnectionStringBuilder connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var written = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connection.ConnectionString };
        bool Says(params string[] names) => names.Any(written.ContainsKey);
        if (!Says("Max Auto Prepare", "MaxAutoPrepare"))
        {
            connection.MaxAutoPrepare = 64;
        }
        if (!Says("No Reset On Close", "NoResetOnClose"))
        {
            connection.NoResetOnClose = true;
        }
        return connection;
    }

    public static void AddDerbesIdentity(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var accounts = builder.Configuration.GetSection(AccountOptions.Section).Get<AccountOptions>() ?? new AccountOptions();
        CookieRules.PlainHttpDevelopment = builder.Environment.IsDevelopment();

        services.AddIdentityCore<Account>(o =>
            {
                // Sign-in checks and the password rules are Derbes' own (PasswordRules, Login page);
                // Identity keeps the lockout fields, security stamps, roles and the authenticator.
                o.User.RequireUniqueEmail = false;
                o.User.AllowedUserNameCharacters = "0123456789";
                o.SignIn.RequireConfirmedEmail = false;
                o.Lockout.MaxFailedAccessAttempts = accounts.MaxFailedSignIns;
                o.Lockout.DefaultLockoutTimeSpan = accounts.LockoutDuration;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequiredUniqueChars = 1;
                o.Password.RequiredLength = accounts.MinPasswordLength;
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<DerbesDb>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddClaimsPrincipalFactory<AccountClaimsFactory>();
        services.AddSingleton<Argon2PasswordHasher>();
        services.AddSingleton<IPasswordHasher<Account>>(sp => sp.GetRequiredService<Argon2PasswordHasher>());

        // Cookies for the pages, bearer tokens for /api (Api/ApiAuthentication): the default scheme picks one by path.
        services.AddAuthentication(ApiAuthentication.ByPath).AddDerbesBearer().AddIdentityCookies();
        services.Configure<SecurityStampValidatorOptions>(o =>
        {
            // Every request re-reads the stamp: sign-out everywhere, a reset or a block take effect at once.
            o.ValidationInterval = TimeSpan.Zero;
            o.OnRefreshingPrincipal = context =>
            {
                foreach (var type in new[] { SessionClaims.AuthTime, SessionClaims.Language, SessionClaims.Remembered, SessionClaims.SessionId })
                {
                    var claim = context.CurrentPrincipal?.FindFirst(type);
                    if (claim is not null && context.NewPrincipal?.Identity is ClaimsIdentity identity)
                    {
                        identity.AddClaim(new Claim(type, claim.Value));
                    }
                }
                return Task.CompletedTask;
            };
        });
        services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = CookieRules.Name("derbes");
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.Path = "/";
            o.Cookie.SecurePolicy = CookieRules.SecurePolicy;
            o.ExpireTimeSpan = accounts.CustomerIdleTimeout;
            o.SlidingExpiration = true;
            o.LoginPath = "/account/login";
            o.LogoutPath = "/account/logout";
            o.AccessDeniedPath = "/error/403";
            o.ReturnUrlParameter = "returnUrl";
            o.Events.OnValidatePrincipal = SessionClaims.ValidateAsync;
            // A signed-in person without the role gets a real 403 (shown by the status-code page), not a 302.
            o.Events.OnRedirectToAccessDenied = async context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                // Every refusal is on the record: who tried which page.
                var services = context.HttpContext.RequestServices;
                services.GetRequiredService<AuditTrail>().Record("access.denied", context.Request.Path.Value ?? "", outcome: "403");
                await services.GetRequiredService<DerbesDb>().SaveChangesAsync(context.HttpContext.RequestAborted);
            };
        });
        services.Configure<CookieAuthenticationOptions>(IdentityConstants.TwoFactorUserIdScheme, o =>
        {
            o.Cookie.Name = CookieRules.Name("derbes-2fa");
            o.Cookie.SecurePolicy = CookieRules.SecurePolicy;
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(StaffRoles.Staff, p => p.RequireRole(StaffRoles.All))
            .AddPolicy(CustomerAccess.Policy, p => p.RequireClaim(SessionClaims.Kind, CustomerAccess.CustomerKind));

        services.AddDataProtection()
            .SetApplicationName("Derbes")
            .PersistKeysToDbContext<DerbesDb>();
        // The key ring is stored encrypted with the master key (outside the database).
        services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
            .Configure<MasterKeyRing>((o, keys) => o.XmlEncryptor = new MasterKeyXmlEncryptor(keys));
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = CookieRules.Name("derbes-af");
            o.Cookie.SecurePolicy = CookieRules.SecurePolicy;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.FormFieldName = "__af";
        });
    }

    public static void AddDerbesServices(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddHttpContextAccessor();
        services.AddSingleton<MasterKeyRing>();
        services.AddSingleton<BlindIndex>();
        services.AddScoped<PersonalDataVault>();
        services.AddScoped<AccountDirectory>();
        services.AddScoped<AccountTokens>();
        services.AddScoped<ProfileChanges>();
        services.AddSingleton<PasswordRules>();
        services.AddScoped<AuditTrail>();
        services.AddSingleton<CheckpointSigner>();
        services.AddSingleton<AuditRetention>();
        services.AddScoped<ConsentLedger>();
        services.AddScoped<PendingRegistration>();
        services.AddScoped<PendingSignIn>();
        services.AddScoped<PendingReset>();
        services.AddScoped<StaffAuthenticator>();
        // The cabinet's security page: places of session addresses, customers' recovery codes, password re-checks.
        services.AddOptions<SessionPlaceOptions>().BindConfiguration(SessionPlaceOptions.Section);
        services.AddSingleton<AddressPlaces>();
        services.AddScoped<RecoveryCodes>();
        services.AddScoped<CustomerSecurity>();
        // The password step shared by the sign-in page and the app's token endpoint; the consent switches shared by the cabinet and the app.
        services.AddScoped<PasswordSignIn>();
        services.AddScoped<ConsentSwitches>();
        services.AddSingleton<OperatorConsole>();
        services.AddScoped<Derbes.Web.Staff.StaffDirectory>();
        services.AddScoped<Derbes.Web.Staff.CustomerRecords>();
        services.AddScoped<Disclosures.DisclosureRegister>();
        services.AddScoped<Derbes.Web.Staff.StaffNames>();
        services.AddScoped<Privacy.PolicyPublisher>();
        services.AddSingleton<DatabaseSettings>();
        services.AddHostedService(sp => sp.GetRequiredService<DatabaseSettings>());
        services.AddScoped<SettingsStore>();

        services.AddSingleton<IMalwareScanner, SignatureMalwareScanner>();
        services.AddSingleton<DocumentInspector>();
        services.AddDerbesDocumentStore(builder.Configuration);
        services.AddScoped<DocumentIntake>();
        services.AddScoped<DocumentReview>();
        services.AddScoped<CustomerDocuments>();
        services.AddSingleton<Privacy.PolicyNotices>();
        services.AddHostedService(sp => sp.GetRequiredService<Privacy.PolicyNotices>());
        services.AddScoped<DeferredMessages>();
        services.AddScoped<Privacy.PolicyAgreement>();
        services.AddScoped<Privacy.PolicyGate>();
        services.AddScoped<AccountClosure>();
        services.AddScoped<PendingReopen>();
        services.AddScoped<PersonalDataExport>();
        services.AddSingleton<AccountDestruction>();
        services.AddSingleton<DocumentRetention>();
        // The retention table and its daily run (issue 9): every category's destruction (accounts, documents, sign-in
        // history, the audit trail) is scheduled there, once a day, and reported to the Privacy Officers.
        services.AddOptions<Retention.RetentionOptions>().BindConfiguration(Retention.RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Retention.SignInHistoryRetention>();
        services.AddSingleton<Retention.RetentionTable>();
        services.AddScoped<Retention.RetentionReport>();
        services.AddSingleton<Retention.RetentionRun>();
        services.AddHostedService(sp => sp.GetRequiredService<Retention.RetentionRun>());
        services.AddSingleton<Calendar.WorkingCalendarProvider>();
        // The daily digest of open requests to the Privacy Officers and the escalation of overdue ones to the Administrators.
        services.AddOptions<Requests.RequestDigestOptions>().BindConfiguration(Requests.RequestDigestOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<StaffMessages>();
        services.AddSingleton<Requests.RequestDigest>();
        services.AddHostedService(sp => sp.GetRequiredService<Requests.RequestDigest>());
        services.AddScoped<Requests.CustomerRequests>();
        services.AddScoped<Requests.RequestDesk>();
        // The breach register (Art. 22, 25): incidents, the notice to the authorized body, the customers told.
        services.AddScoped<Breaches.BreachRegister>();
        // Campaigns (policy 2.2.4): Marketing's desk, the sender that queues and paces them, the per-message checks, the opt-outs.
        services.AddOptions<Campaigns.CampaignOptions>().BindConfiguration(Campaigns.CampaignOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Campaigns.UnsubscribeToken>();
        services.AddScoped<Campaigns.CampaignMessages>();
        services.AddScoped<Campaigns.CampaignDesk>();
        services.AddScoped<Campaigns.Unsubscriptions>();
        services.AddSingleton<Campaigns.CampaignSender>();
        services.AddHostedService(sp => sp.GetRequiredService<Campaigns.CampaignSender>());
        // Opt-outs written to the care mailbox (policy 5.6), read over IMAP when Unsubscribe:Imap:Host is set.
        services.AddOptions<Campaigns.MailboxOptions>().BindConfiguration(Campaigns.MailboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Campaigns.MailboxOptOuts>();
        services.AddHostedService(sp => sp.GetRequiredService<Campaigns.MailboxOptOuts>());
        // Surveys: the link's token (and the participation key), the questions, the answers, the results.
        services.AddSingleton<Campaigns.Surveys.SurveyToken>();
        services.AddScoped<Campaigns.Surveys.Surveys>();

        // Archive copies (policy 3.3): encrypted, with a manifest; key copies apart; the daily schedule and its retention.
        services.AddOptions<Backups.BackupOptions>().BindConfiguration(Backups.BackupOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Backups.ArchiveCipher>();
        services.AddSingleton<Backups.KeyCopies>();
        services.AddSingleton<Backups.ArchiveCopies>();
        services.AddSingleton<Backups.BackupProcess>();
        services.AddSingleton<Backups.BackupSchedule>();
        services.AddHostedService(sp => sp.GetRequiredService<Backups.BackupSchedule>());
        // Depersonalised statistics (policy 2.2.5): the daily aggregates, the job that keeps them, the page's tables.
        services.AddOptions<Statistics.StatisticsOptions>().BindConfiguration(Statistics.StatisticsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Statistics.StatisticsJob>();
        services.AddHostedService(sp => sp.GetRequiredService<Statistics.StatisticsJob>());
        services.AddScoped<Statistics.StatisticsReport>();

        services.AddSingleton<OutboxSignal>();
        services.AddScoped<Outbox>();
        services.AddScoped<AccountMessages>();
        services.AddSingleton<ISmsGateway, PickupFolderSmsGateway>();
        services.AddSingleton<IEmailDelivery>(sp =>
            string.IsNullOrWhiteSpace(sp.GetRequiredService<IOptions<SmtpOptions>>().Value.Host)
                ? ActivatorUtilities.CreateInstance<PickupFolderEmailDelivery>(sp)
                : ActivatorUtilities.CreateInstance<SmtpEmailDelivery>(sp));
        services.AddSingleton<OutboxWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxWorker>());
    }

    public static void AddDerbesWeb(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // The largest legitimate request is registration with three 10 MB files.
            k.Limits.MaxRequestBodySize = RegisterModel.MaxRequestBytes;
        });
        // No ResourcesPath: SharedResource.resx sits beside its marker class, so its manifest name is the class name.
        services.AddLocalization();
        services.AddRazorPages(o =>
            {
                o.Conventions.AuthorizeFolder("/Cabinet");
                // The customer's record is a customer's; the account's own security (password, sessions) is anyone's.
                o.Conventions.AddFolderApplicationModelConvention("/Cabinet", model =>
                {
                    if (!CustomerAccess.OpenToStaff.Contains(model.ViewEnginePath))
                    {
                        model.EndpointMetadata.Add(new AuthorizeAttribute(CustomerAccess.Policy));
                    }
                });
                o.Conventions.AddFolderApplicationModelConvention("/Cabinet", model => model.Filters.Add(new ServiceFilterAttribute(typeof(Privacy.PolicyGate))));
                o.Conventions.AuthorizeFolder("/Admin", StaffRoles.Staff);
            })
            .AddMvcOptions(o =>
            {
                o.Filters.Add(new AutoValidateAntiforgeryTokenAttribute());
            })
            .AddDataAnnotationsLocalization(o => o.DataAnnotationLocalizerProvider = (_, factory) => factory.Create(typeof(SharedResource)))
            .AddViewLocalization()
            // Validation happens on the server, in the page's language; no data-val-* attributes are emitted.
            .AddViewOptions(o => o.HtmlHelperOptions.ClientValidationEnabled = false);
        services.AddSingleton<IConfigureOptions<MvcOptions>, LocalizedBindingMessages>();
        services.Configure<RequestLocalizationOptions>(o =>
        {
            var cultures = Languages.All.Select(CultureInfo.GetCultureInfo).ToList();
            o.DefaultRequestCulture = new RequestCulture(Languages.Kazakh);
            o.SupportedCultures = cultures;
            o.SupportedUICultures = cultures;
            o.FallBackToParentCultures = true;
            o.FallBackToParentUICultures = true;
            // An explicit switch (cookie) first, then the account's preference, then the browser's languages.
            o.RequestCultureProviders =
            [
                new QueryStringRequestCultureProvider { QueryStringKey = "lang", UIQueryStringKey = "lang" },
                new CookieRequestCultureProvider { CookieName = Languages.CookieName },
                new AccountLanguageProvider(),
                new AcceptLanguageHeaderRequestCultureProvider(),
            ];
        });
        var database = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        services.AddDerbesRateLimits(shared: database.Provider == DatabaseProvider.Postgres);
        // A database that does not answer within 3 s counts as down: a load balancer must not wait on a dead host.
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"], timeout: TimeSpan.FromSeconds(3));
        services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = true;
        });
    }
}

/// <summary>Ready means the database answers.</summary>
public sealed class DatabaseHealthCheck(DerbesDb db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await db.Database.CanConnectAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("database unreachable");
}

/// <summary>The signed-in account's preferred language, carried as a claim in the session cookie.</summary>
public sealed class AccountLanguageProvider : RequestCultureProvider
{
    public override Task<ProviderCultureResult?> DetermineProviderCultureResult(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var language = httpContext.User.FindFirst(SessionClaims.Language)?.Value;
        return Task.FromResult(Languages.IsSupported(language) ? new ProviderCultureResult(language) : null);
    }
}
