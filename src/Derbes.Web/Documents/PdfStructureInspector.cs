using UglyToad.PdfPig;
using UglyToad.PdfPig.Exceptions;
using UglyToad.PdfPig.Tokenization.Scanner;
using UglyToad.PdfPig.Tokens;

namespace Derbes.Web.Documents;

/// <summary>
/// The parser half of the PDF check: opens the document with PdfPig and walks every object
/// listed in its cross-reference data, including objects stored in compressed object streams,
/// looking at dictionary keys and name values (PdfPig has already decoded #xx escapes).
/// </summary>
internal static class PdfStructureInspector
{
    private const int MaxDepth = 256;

    public static PdfFindings Inspect(byte[] pdf, CancellationToken cancellationToken)
    {
        try
        {
            using var document = PdfDocument.Open(pdf, new ParsingOptions { SkipMissingFonts = true });
            var structure = document.Structure;
            if (document.IsEncrypted || structure.Trailer.EncryptionToken is not null)
            {
                return PdfFindings.Encrypted;
            }

            if (document.NumberOfPages < 1)
            {
                return PdfFindings.Unreadable;
            }

            var findings = PdfFindings.None;
            foreach (var reference in structure.CrossReferenceTable.ObjectOffsets.Keys)
            {
                cancellationToken.ThrowIfCancellationRequested();
                findings |= Visit(structure.GetObject(reference).Data, structure.TokenScanner, 0);
            }

            if (document.Advanced.TryGetEmbeddedFiles(out var embeddedFiles) && embeddedFiles.Count > 0)
            {
                findings |= PdfFindings.EmbeddedFiles;
            }

            return findings;
        }
        catch (PdfDocumentEncryptedException)
        {
            return PdfFindings.Encrypted;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // PdfPig reports malformed input with several exception types (format, parse,
            // argument, index, invalid cast...); any of them means the file cannot be vouched for.
            return PdfFindings.Unreadable;
        }
    }

    private static PdfFindings Visit(IToken token, IPdfTokenScanner scanner, int depth)
    {
        if (depth > MaxDepth)
        {
            return PdfFindings.Unreadable;
        }

        switch (token)
        {
            case StreamToken stream:
                return Visit(stream.StreamDictionary, scanner, depth + 1);
            case ArrayToken array:
                var inArray = PdfFindings.None;
                foreach (var item in array.Data)
                {
                    inArray |= Visit(item, scanner, depth + 1);
                }

                return inArray;
            case DictionaryToken dictionary:
                var inDictionary = PdfFindings.None;
                foreach (var (key, value) in dictionary.Data)
                {
                    inDictionary |= ClassifyKey(key, value, scanner) | Visit(value, scanner, depth + 1);
                }

                return inDictionary;
            case NameToken name:
                return ClassifyNameValue(name.Data);
            default:
                return PdfFindings.None;
        }
    }

    private static PdfFindings ClassifyKey(string key, IToken value, IPdfTokenScanner scanner) => key switch
    {
        // /JS in any action (OpenAction, /AA, annotation /A, form field actions, renditions),
        // /JavaScript in the catalog's /Names, /XFA forms (which carry their own scripts).
        "JS" or "JavaScript" or "XFA" => PdfFindings.ActiveContent,
        "EmbeddedFiles" => PdfFindings.EmbeddedFiles,
        "Encrypt" => PdfFindings.Encrypted,

        // A file specification's /EF dictionary points at the embedded file streams.
        "EF" when IsEmbeddedFileDictionary(value, scanner) => PdfFindings.EmbeddedFiles,
        _ => PdfFindings.None,
    };

    private static PdfFindings ClassifyNameValue(string name) => name switch
    {
        "JavaScript" or "Launch" => PdfFindings.ActiveContent, // /S /JavaScript, /S /Launch
        "EmbeddedFile" or "FileAttachment" => PdfFindings.EmbeddedFiles, // /Type /EmbeddedFile, /Subtype /FileAttachment
        _ => PdfFindings.None,
    };

    private static bool IsEmbeddedFileDictionary(IToken value, IPdfTokenScanner scanner)
    {
        if (value is IndirectReferenceToken reference)
        {
            value = scanner.Get(reference.Data)?.Data ?? NullToken.Instance;
        }

        return value is DictionaryToken dictionary
            && (dictionary.ContainsKey(NameToken.F) || dictionary.ContainsKey(NameToken.Uf)
                || dictionary.Data.ContainsKey("DOS") || dictionary.Data.ContainsKey("Mac") || dictionary.Data.ContainsKey("Unix"));
    }
}
