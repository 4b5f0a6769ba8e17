[assembly: System.Resources.NeutralResourcesLanguage("kk")]
