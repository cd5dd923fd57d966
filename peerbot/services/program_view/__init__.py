"""The program seen as a whole, without names or text: figures and their phone-sized summary
(/stats), the week-by-week series, the weekly digest and its chart, the funders' report
and de-identified exports."""
