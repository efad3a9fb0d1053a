"""Ten tutorial sentences with keyboard shortcuts, version numbers, file names, a URL and product names,
each with the spans a translation must keep and a reference Portuguese (Brazil) translation written by
hand (for chrF in bench/translate_quality.py). The project's lexicon names the products."""

from __future__ import annotations

LEXICON = ("Contentizer", "Contentizer Studio")

SENTENCES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Press Ctrl+Shift+P to open the command palette.", ("Ctrl+Shift+P",),
     "Pressione Ctrl+Shift+P para abrir a paleta de comandos."),
    ("Open settings.json and set the timeout to 30 seconds.", ("settings.json",),
     "Abra o settings.json e defina o tempo limite como 30 segundos."),
    ("Press Cmd+S to save your changes.", ("Cmd+S",),
     "Pressione Cmd+S para salvar suas alterações."),
    ("To close the window, press Alt+F4.", ("Alt+F4",),
     "Para fechar a janela, pressione Alt+F4."),
    ("Version 3.2.1 adds support for dark mode.", ("3.2.1",),
     "A versão 3.2.1 adiciona suporte ao modo escuro."),
    ("Download v2.0 from https://example.com/downloads and run the installer.", ("v2.0", "https://example.com/downloads"),
     "Baixe a v2.0 em https://example.com/downloads e execute o instalador."),
    ("Contentizer saves your project in project.zip every five minutes.", ("Contentizer", "project.zip"),
     "O Contentizer salva seu projeto em project.zip a cada cinco minutos."),
    ("Copy config.yaml into the new folder, then restart the server.", ("config.yaml",),
     "Copie o config.yaml para a nova pasta e reinicie o servidor."),
    ("If the upload fails, check README.md for the list of supported formats.", ("README.md",),
     "Se o envio falhar, consulte o README.md para ver a lista de formatos suportados."),
    ("Press Ctrl+Z to undo the last step in Contentizer Studio 4.1.0.", ("Ctrl+Z", "Contentizer Studio", "4.1.0"),
     "Pressione Ctrl+Z para desfazer a última etapa no Contentizer Studio 4.1.0."),
)
