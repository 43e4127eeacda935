using AuthErrorOps.Dashboard.Hosting;

namespace AuthErrorOps.Dashboard.Security;

/// <summary>
/// The browser token (docs/dashboard.md, "Security"): the login cookie or <c>Authorization: Bearer</c> on every
/// page and API of the UI listener. Without it pages redirect to <c>/login</c> and <c>/api/*</c> answers 401.
/// </summary>
internal static class BrowserToken
{
    public const string CookieName = "autherrorops.dashboard";
    public const string LoginPath = "/login";

    /// <summary>The login page's style sheet: the one file served before login.</summary>
    public const string LoginStyleSheetPath = "/login.css";

    public static bool IsPresented(HttpContext context, string token)
    {
        if (context.Request.Cookies.TryGetValue(CookieName, out var cookie) && Secrets.AreEqual(cookie, token))
        {
            return true;
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && Secrets.AreEqual(authorization["Bearer ".Length..].Trim(), token);
    }

    public static void SignIn(HttpResponse response, string token) =>
        response.Cookies.Append(CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            IsEssential = true,
        });

    public static IApplicationBuilder UseBrowserToken(this IApplicationBuilder app, DashboardOptions options, DashboardListeners listeners) =>
        app.Use(async (context, next) =>
        {
            if (listeners.Of(context) != DashboardListener.Ui
                || context.Request.Path.Equals(LoginPath, StringComparison.OrdinalIgnoreCase)
                || context.Request.Path.Equals(LoginStyleSheetPath, StringComparison.OrdinalIgnoreCase)
                || IsPresented(context, options.BrowserToken))
            {
                await next(context);
                return;
            }

            if (context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await TypedResults.Problem(
                    statusCode: StatusCodes.Status401Unauthorized,
                    title: "Browser token required",
                    detail: "Log in through the link the AppHost printed, or send Authorization: Bearer <token>.")
                    .ExecuteAsync(context);
                return;
            }

            context.Response.Redirect(LoginPath);
        });
}
