import './styles.css';
import { Shell } from './pages/shell';

const main = document.getElementById('main');
if (main === null) {
  throw new Error('index.html is missing <main id="main">');
}
void new Shell(main).start();
