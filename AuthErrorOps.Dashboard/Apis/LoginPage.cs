using System.Text.Encodings.Web;
using AuthErrorOps.Dashboard.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthErrorOps.Dashboard.Apis;

/// <summary>
/// <c>GET /login?t=&lt;token&gt;</c> (the printed link) and the form (<c>GET /login</c>, <c>POST /login</c> with field
/// <c>token</c>): a right token sets the cookie and redirects to <c>/</c>. The markup is all here, to restyle freely.
/// </summary>
public static class LoginPage
{
    public static IEndpointRouteBuilder MapLoginPage(this IEndpointRouteBuilder app)
    {
        app.MapGet(BrowserToken.LoginPath, ShowOrSignIn);
        app.MapPost(BrowserToken.LoginPath, SubmitAsync);
        return app;
    }

    public static Results<RedirectHttpResult, ContentHttpResult> ShowOrSignIn(string? t, HttpResponse response, DashboardOptions options) =>
        t is null ? Form(error: null) : SignIn(t, response, options);

    public static async Task<Results<RedirectHttpResult, ContentHttpResult>> SubmitAsync(
        HttpRequest request, HttpResponse response, DashboardOptions options, CancellationToken cancellationToken)
    {
        var form = request.HasFormContentType ? await request.ReadFormAsync(cancellationToken) : null;
        return SignIn(form?["token"].ToString() ?? "", response, options);
    }

    private static Results<RedirectHttpResult, ContentHttpResult> SignIn(string token, HttpResponse response, DashboardOptions options)
    {
        if (!Secrets.AreEqual(token.Trim(), options.BrowserToken))
        {
            return Form("That token is not valid for this run. Use the login link the AppHost printed.");
        }

        BrowserToken.SignIn(response, options.BrowserToken);
        return TypedResults.Redirect("/");
    }

    private static ContentHttpResult Form(string? error) => TypedResults.Content(
        $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>AuthErrorOps dashboard · log in</title>
          <link rel="stylesheet" href="/login.css">
        </head>
        <body>
          <h1>AuthErrorOps dashboard</h1>
          <p>Open the login link the AppHost printed, or paste its token.</p>
          {{(error is null ? "" : $"<p class=\"error\" role=\"alert\">{HtmlEncoder.Default.Encode(error)}</p>")}}
          <form method="post" action="/login">
            <label for="token">Browser token</label>
            <input id="token" name="token" type="password" autocomplete="off" autofocus required>
            <button type="submit">Log in</button>
          </form>
        </body>
        </html>
        """,
        "text/html; charset=utf-8",
        statusCode: error is null ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized);
}
