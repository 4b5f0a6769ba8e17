using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AccountClosure : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ClosingSince",
                table: "AspNetUsers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "DestroyedAt",
                table: "AspNetUsers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RetentionHold",
                table: "AspNetUsers",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "StoreDeletions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    StorageName = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    QueuedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StoreDeletions", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUsers_Status_ClosingSince",
                table: "AspNetUsers",
                columns: new[] { "Status", "ClosingSince" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "StoreDeletions");

            migrationBuilder.DropIndex(
                name: "IX_AspNetUsers_Status_ClosingSince",
                table: "AspNetUsers");

            migrationBuilder.DropColumn(
                name: "ClosingSince",
                table: "AspNetUsers");

            migrationBuilder.DropColumn(
                name: "DestroyedAt",
                table: "AspNetUsers");

            migrationBuilder.DropColumn(
                name: "RetentionHold",
                table: "AspNetUsers");
        }
    }
}
