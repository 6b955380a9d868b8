import './styles.css';
import { renderHome } from './pages/home';

const main = document.getElementById('main');
if (main === null) {
  throw new Error('index.html is missing <main id="main">');
}
void renderHome(main);
