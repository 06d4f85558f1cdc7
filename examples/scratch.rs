fn main() {
    for text in [
        ">o<!D\n--\nc>",
        "a <span\nclass=\"x\">b</span>\n",
        "# h <a\n",
        "a <!-- x\ny --> b\n",
        "## o<!D \n",
    ] {
        println!("== {text:?}");
        for e in pulldown_cmark::Parser::new_ext(text, pulldown_cmark::Options::all()) {
            println!("  {e:?}");
        }
    }
}
