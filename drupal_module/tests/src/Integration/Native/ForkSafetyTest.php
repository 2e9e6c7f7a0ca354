<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * The library keeps working in both processes after a fork (php-fpm workers
 * are forked from a master).
 */
final class ForkSafetyTest extends NativeTestCase {

  public function testParentAndChildBothProvisionAfterAFork(): void {
    if (!function_exists('pcntl_fork') || !function_exists('posix_kill')) {
      $this->markTestSkipped('pcntl_fork/posix_kill are not available in this PHP.');
    }
    $emulator = $this->startEmulator();
    $native = $this->native($emulator->clientConfig(['timeout_ms' => 5000, 'max_retries' => 1]));
    // The parent uses the client first: runtime, HTTP pool and token exist before the fork.
    $this->assertSame('created', $native->provisionUser(self::drupalUser(40, 'before.fork'))['action']);

    $resultFile = (string) tempnam(sys_get_temp_dir(), 'entra-fork-');
    $pid = pcntl_fork();
    if ($pid === -1) {
      $this->fail('pcntl_fork failed');
    }
    if ($pid === 0) {
      // Child: never return into PHPUnit; report through the file, then die without
      // running shutdown functions or flushing the parent's output buffers.
      $report = [];
      try {
        $report['inherited'] = $native->provisionUser(self::drupalUser(41, 'child.inherited'))['action'];
        $fresh = $this->native($emulator->clientConfig());
        $report['fresh'] = $fresh->provisionUser(self::drupalUser(42, 'child.fresh'))['action'];
        $fresh->close();
        $native->close();
        $report['closed'] = TRUE;
      }
      catch (\Throwable $e) {
        $report['error'] = get_class($e) . ': ' . $e->getMessage();
      }
      file_put_contents($resultFile, json_encode($report));
      posix_kill(getmypid(), SIGKILL);
      exit(1);
    }

    // Parent: work concurrently with the child.
    $parent = $native->provisionUser(self::drupalUser(43, 'parent.after.fork'));
    $deadline = microtime(TRUE) + 30.0;
    $status = 0;
    while (pcntl_waitpid($pid, $status, WNOHANG) === 0) {
      if (microtime(TRUE) > $deadline) {
        posix_kill($pid, SIGKILL);
        pcntl_waitpid($pid, $status);
        @unlink($resultFile);
        $this->fail('the child hung after the fork (runtime or connection pool inherited?)');
      }
      usleep(20000);
    }
    $report = json_decode((string) file_get_contents($resultFile), TRUE);
    @unlink($resultFile);

    $this->assertTrue(pcntl_wifsignaled($status) && pcntl_wtermsig($status) === SIGKILL, 'the child ended by its own SIGKILL, not a crash');
    $this->assertIsArray($report, 'the child wrote its report');
    $this->assertArrayNotHasKey('error', $report, (string) ($report['error'] ?? ''));
    $this->assertSame(['inherited' => 'created', 'fresh' => 'created', 'closed' => TRUE], $report);
    $this->assertSame('created', $parent['action']);
    // And the parent's client still works after the child has gone.
    $this->assertSame('created', $native->provisionUser(self::drupalUser(44, 'parent.later'))['action']);

    $upns = array_map(static function (array $u): string {
      return (string) ($u['userPrincipalName'] ?? '');
    }, self::emulatorUsers($emulator));
    foreach (['before.fork', 'child.inherited', 'child.fresh', 'parent.after.fork', 'parent.later'] as $name) {
      $this->assertContains($name . '@contoso.onmicrosoft.com', $upns);
    }
  }

}
