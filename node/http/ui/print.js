// Printable pages (receipt, forms, reports): the "In" button prints the page.
// Loaded as an external script so the pages need no inline script (CSP).
document.addEventListener('DOMContentLoaded', () => {
  const button = document.getElementById('print');
  if (button) button.addEventListener('click', () => window.print());
});
