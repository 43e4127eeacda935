using System.Globalization;

namespace AuthErrorOps.Ingest.Apis;

/// <summary>
/// <c>?page=&amp;size=</c> of the list endpoints: <c>page</c> is 0-based, <c>size</c> 1–<see cref="Paging.MaxSize"/>.
/// Bound as text so that a malformed number is answered with a problem naming the parameter,
/// not the framework's bare 400.
/// </summary>
public sealed record PageParameters(string Page = "0", string Size = "20");

/// <summary>A validated page request.</summary>
public readonly record struct PageRequest(int Page, int Size);

/// <summary>One page of a list: <c>page</c> is 0-based; a page past the end is empty, not an error.</summary>
public sealed record PageResponse<T>(IReadOnlyList<T> Items, int Page, int Size, long TotalElements, long TotalPages)
{
    public static PageResponse<T> Create(IReadOnlyList<T> items, PageRequest request, long totalElements) =>
        new(items, request.Page, request.Size, totalElements, (totalElements + request.Size - 1) / request.Size);
}

public static class Paging
{
    public const int DefaultSize = 20;
    public const int MaxSize = 200;

    /// <summary>Parses page and size; on failure adds one message per bad parameter to <paramref name="errors"/>.</summary>
    public static PageRequest Parse(PageParameters parameters, IDictionary<string, string[]> errors)
    {
        if (!int.TryParse(parameters.Page, NumberStyles.None, CultureInfo.InvariantCulture, out var page))
        {
            errors["page"] = ["must be a whole number, 0 or more (pages are 0-based)."];
        }

        if (!int.TryParse(parameters.Size, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size is < 1 or > MaxSize)
        {
            errors["size"] = [$"must be a whole number from 1 to {MaxSize}."];
        }

        return new PageRequest(page, size);
    }
}
