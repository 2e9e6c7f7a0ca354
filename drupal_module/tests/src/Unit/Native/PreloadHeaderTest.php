<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Native;

use Drupal\entra_provisioning\Native\PreloadHeader;
use PHPUnit\Framework\TestCase;

/**
 * The ffi.preload header variant, without the native library.
 */
final class PreloadHeaderTest extends TestCase {

  private const HEADER = "#ifndef ENTRA_PROVISIONING_H\n#define ENTRA_PROVISIONING_H\nuint32_t entra_abi_version(void);\n#endif\n";

  public function testScopeAndLibAreTheFirstTwoLinesAndTheHeaderFollowsUnmodified(): void {
    $rendered = PreloadHeader::render(self::HEADER, '/opt/entra/libentra_provisioning.so');
    $lines = explode("\n", $rendered, 3);
    $this->assertSame('#define FFI_SCOPE "ENTRA_PROVISIONING"', $lines[0]);
    $this->assertSame('#define FFI_LIB "/opt/entra/libentra_provisioning.so"', $lines[1]);
    $this->assertSame(self::HEADER, $lines[2]);
  }

  public function testAByteOrderMarkIsDropped(): void {
    $rendered = PreloadHeader::render("\xEF\xBB\xBF" . self::HEADER, '/x.so');
    $this->assertStringEndsWith("\n" . self::HEADER, $rendered);
    $this->assertStringNotContainsString("\xEF\xBB\xBF", $rendered);
  }

  public function testRelativeLibraryPathIsRefused(): void {
    $this->expectException(\InvalidArgumentException::class);
    $this->expectExceptionMessage('absolute');
    PreloadHeader::render(self::HEADER, 'target/release/libentra_provisioning.so');
  }

  public function testQuotesInTheLibraryPathAreRefused(): void {
    $this->expectException(\InvalidArgumentException::class);
    PreloadHeader::render(self::HEADER, '/tmp/a"b.so');
  }

  public function testRenderingTwiceIsRefused(): void {
    $once = PreloadHeader::render(self::HEADER, '/x.so');
    $this->expectException(\InvalidArgumentException::class);
    PreloadHeader::render($once, '/x.so');
  }

  public function testWriteResolvesTheLibraryPath(): void {
    $dir = sys_get_temp_dir() . '/entra-preload-' . getmypid();
    @mkdir($dir);
    file_put_contents($dir . '/h.h', self::HEADER);
    file_put_contents($dir . '/lib.so', '');
    $cwd = getcwd();
    chdir($dir);
    try {
      PreloadHeader::write('h.h', 'lib.so', $dir . '/out.h');
    }
    finally {
      chdir((string) $cwd);
    }
    $out = (string) file_get_contents($dir . '/out.h');
    $this->assertStringStartsWith('#define FFI_SCOPE "ENTRA_PROVISIONING"' . "\n" . '#define FFI_LIB "' . realpath($dir . '/lib.so') . "\"\n", $out);
    array_map('unlink', glob($dir . '/*') ?: []);
    rmdir($dir);
  }

}
