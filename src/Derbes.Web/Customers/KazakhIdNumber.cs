namespace Derbes.Web.Customers;

/// <summary>
/// Kazakhstan's 12-digit identification numbers: the BIN of an organisation and the IIN of a person share one
/// format and one check digit. The twelfth digit is the sum of the first eleven weighted 1…11, modulo 11; when
/// that is 10 the sum is taken again with the weights 3…11, 1, 2, and a second 10 means no number ends so.
/// </summary>
public static class KazakhIdNumber
{
    private static readonly int[] FirstWeights = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    private static readonly int[] SecondWeights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

    public static bool IsValid(string? number)
    {
        if (number is not { Length: 12 } || !number.All(char.IsAsciiDigit))
        {
            return false;
        }
        var check = Weighted(number, FirstWeights);
        if (check == 10)
        {
            check = Weighted(number, SecondWeights);
        }
        return check != 10 && check == number[11] - '0';
    }

    private static int Weighted(string number, int[] weights)
    {
        var sum = 0;
        for (var i = 0; i < 11; i++)
        {
            sum += (number[i] - '0') * weights[i];
        }
        return sum % 11;
    }
}
