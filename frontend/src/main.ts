import './styles.css';
import { App } from './pages/app';

const main = document.getElementById('main');
if (main === null) {
  throw new Error('index.html is missing <main id="main">');
}
void new App(main).start();
