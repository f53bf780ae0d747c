// Applies the theme the operator chose (src/theme.ts keeps it) before the first paint, so a
// dark choice never flashes light. A classic script from our own origin: the CSP allows it.
try {
  var choice = localStorage.getItem('saga-ui.theme');
  if (choice === 'light' || choice === 'dark') document.documentElement.dataset.theme = choice;
} catch {
  // storage disabled: follow the system
}
